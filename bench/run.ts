// Benchmarks print figures measured side by side in one run; they are not tests.
import { benchApiServer } from './apiserver.js';

const only = process.argv[2];
if (!only || only === 'apiserver') await benchApiServer();
