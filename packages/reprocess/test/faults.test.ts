// Fault suite, small size, first half: 5xx replies, slow replies, dropped connections (faultsSmall.ts).
import { defineFaultCases } from './faultCases.js';
import { SMALL_FAULT_SUITE } from './faultsSmall.js';

defineFaultCases({ ...SMALL_FAULT_SUITE, part: 'transport' });
