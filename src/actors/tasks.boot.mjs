// Under tsx (tests, `tsx src/...`), a piscina worker cannot load a .ts task module that uses ESM
// features: Node 20 rejects the extension. This bootstrap registers tsx inside the worker thread and
// re-exports the task module. Compiled builds point piscina at tasks.js and never load this file.
import { register } from 'tsx/esm/api';

register();
const tasks = await import('./tasks.ts');

export default tasks.default;
