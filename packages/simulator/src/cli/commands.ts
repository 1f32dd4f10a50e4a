// What `reprocess sim …` and `reprocess demo` load, only when asked: the product never imports the simulator.
export { registerSimCommands } from './simCommands.js';
export { registerDemoCommand } from './demoCommand.js';
