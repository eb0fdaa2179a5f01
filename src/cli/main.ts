// `gridpilot` entry point (npm run gridpilot -- …, bin/gridpilot.js).
import { buildProgram } from './program.ts';

await buildProgram().parseAsync(process.argv);
// Every subcommand closes what it opened; should a library leave a handle behind, do not hang.
setTimeout(() => process.exit(), 1500).unref();
