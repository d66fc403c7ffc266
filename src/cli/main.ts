#!/usr/bin/env node
// Placeholder entry; the real command table lands with the rollout.
console.log('emqx-rollout');
