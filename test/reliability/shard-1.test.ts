// Fault matrix, shard 1 of 4 (see shards.ts). Rows: cases.ts; judged by harness.ts; published by report.ts.
import { runShard } from './shards.js';

runShard(1);
