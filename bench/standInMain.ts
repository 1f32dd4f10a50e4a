// The stand-in endpoint in its own process (so it does not share the event loop of what it measures):
//   node dist/bench/standInMain.js <serviceMs>
// Prints its URL on the first line, then serves until killed.
import { startStandIn } from '@mosip-reprocess/testkit/standIn.js';

const serviceMs = Number(process.argv[2] ?? 0);
const standIn = await startStandIn({ serviceMs });
process.stdout.write(standIn.url + '\n');
process.on('SIGTERM', () => { void standIn.close().then(() => process.exit(0)); });
