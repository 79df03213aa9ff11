// Blind figure (first run, 2026-12-01, commit c6e2d55fb0cef8ae18d8ea053742425f9a4a008e): 241/252 fields = 95.6%
// One self-error fixed afterwards (blind2-35 vehicle_model: Yamaha writes the model "FX Cruiser SVHO";
// WaveRunner is the product line), which makes it 242/252 = 96.0%. THRESHOLD is that figure rounded down.
// Training figure (after fixes on 2026-12-01, commit 138c9db4f79c5c0971cabe647053e3bdb245196e): 252/252 = 100.0%
// The misses were read and fixed by class, so the set is now training data, not a blind measurement (blind3 is
// the next honest one). THRESHOLD now follows the training figure, rounded down to a whole percent (was 0.96).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeBlindSet } from '../blindAccuracy.js';

describeBlindSet({ name: 'blind2', dir: dirname(fileURLToPath(import.meta.url)), minCalls: 40, threshold: 1 });
