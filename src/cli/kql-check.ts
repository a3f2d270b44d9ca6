// npm run kql:check [folder]: analyses the versioned KQL scripts (default kql/) offline with
// Microsoft's Kusto.Language parser, in version order, against the schema they build.
// Prints `file:line:col message` per problem and a summary; exit code 1 on any problem.
import { checkKqlFolder } from '../kql/analyzer.js';
import { KqlScriptError } from '../kql/scripts.js';

async function main(dir: string): Promise<number> {
  try {
    const { scripts, commands, diagnostics } = await checkKqlFolder(dir);
    for (const d of diagnostics) console.log(`${d.file}:${d.line}:${d.column} ${d.message} [${d.code}]`);
    console.log(`kql:check: ${count(scripts.length, 'script')}, ${count(commands, 'command')}, ${count(diagnostics.length, 'problem')}`);
    return diagnostics.length ? 1 : 0;
  } catch (err) {
    if (!(err instanceof KqlScriptError)) throw err;
    console.log(err.message);
    console.log('kql:check: 1 problem');
    return 1;
  }
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

process.exitCode = await main(process.argv[2] ?? 'kql');
