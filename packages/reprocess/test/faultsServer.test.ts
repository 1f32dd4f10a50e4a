// Fault suite, small size, second half: expiring tokens, outages, 403 replies, all faults at once (faultsSmall.ts).
import { defineFaultCases } from './faultCases.js';
import { SMALL_FAULT_SUITE } from './faultsSmall.js';

defineFaultCases({ ...SMALL_FAULT_SUITE, part: 'server' });
