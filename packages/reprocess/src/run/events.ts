// The run's events live in domain/runEvents.ts (the report reads them too); this is where the run's code finds them.
export { ignoreEvents, type EventSink, type RunEvent } from '../domain/runEvents.js';
