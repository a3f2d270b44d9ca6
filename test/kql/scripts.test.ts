import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checksum, KqlScriptError, lineAndColumn, listScripts, splitCommands } from '../../src/kql/scripts.js';
import { errorMessage } from '../../src/errors.js';

const texts = (script: string) => splitCommands(script).map((c) => c.text);

describe('listScripts', () => {
  let dir: string;
  const folder = async (files: Record<string, string>) => {
    dir = await mkdtemp(join(tmpdir(), 'kql-scripts-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  };
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists V<NNN>__<description>.kql by numeric version, with description, path, text and checksum', async () => {
    await folder({
      'V010__tenth.kql': '.drop table T\n',
      'V2__kpi_functions.kql': '.create table U (A:string)\n',
      'V001__qoe_events.kql': '.create table T (A:string)\r\n',
      'README.md': 'not a script',
    });
    const scripts = await listScripts(dir);
    expect(scripts.map((s) => [s.version, s.name, s.description])).toEqual([
      [1, 'V001__qoe_events.kql', 'qoe events'],
      [2, 'V2__kpi_functions.kql', 'kpi functions'],
      [10, 'V010__tenth.kql', 'tenth'],
    ]);
    expect(scripts[0]?.path).toBe(join(dir, 'V001__qoe_events.kql'));
    expect(scripts[0]?.text).toBe('.create table T (A:string)\r\n');
    expect(scripts[0]?.checksum).toBe(createHash('sha256').update('.create table T (A:string)\n').digest('hex'));
  });

  it.each(['setup.kql', 'V1_missing_underscore.kql', 'V__no_version.kql', 'v001__lower_case.kql', 'V001__.kql', 'V001__with-dash.kql'])(
    'rejects a .kql file named %s',
    async (name) => {
      await folder({ 'V001__ok.kql': '', [name]: '' });
      const err = await listScripts(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KqlScriptError);
      expect(errorMessage(err)).toContain(name);
      expect(errorMessage(err)).toContain('V<NNN>__<description>.kql');
    },
  );

  it('rejects two scripts with the same version', async () => {
    await folder({ 'V001__first.kql': '', 'V1__again.kql': '', 'V002__next.kql': '' });
    const err = await listScripts(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KqlScriptError);
    expect(errorMessage(err)).toMatch(/V001__first\.kql and .*V1__again\.kql: both are version 1/);
  });
});

describe('checksum', () => {
  it('is the sha256 of the text with line endings normalised, so CRLF and LF checkouts agree', () => {
    const lf = '// header\n.create table T (A:string)\n\n.drop table T\n';
    expect(checksum(lf)).toBe(createHash('sha256').update(lf).digest('hex'));
    expect(checksum(lf.replace(/\n/g, '\r\n'))).toBe(checksum(lf));
    expect(checksum(lf.replace(/\n/g, '\r'))).toBe(checksum(lf));
  });

  it('changes when the text does', () => {
    expect(checksum('.create table T (A:string)\n')).not.toBe(checksum('.create table T (A:long)\n'));
    expect(checksum('.create table T (A:string)\n')).not.toBe(checksum('.create table T (A:string)\n\n'));
  });
});

describe('splitCommands', () => {
  it('splits at blank lines and leaves out the comments around commands, keeping those inside', () => {
    const script = [
      '// header comment',
      '// second header line',
      '',
      '// about the first command',
      '.create table T (',
      '    A:string, // inside: kept',
      '    B:long',
      ') // trailing: dropped',
      '// after: dropped',
      '   ',
      '.alter table T policy caching hot = 31d',
      '',
      '// a lone comment',
      '',
    ].join('\n');
    const commands = splitCommands(script);
    expect(commands.map((c) => c.text)).toEqual([
      '.create table T (\n    A:string, // inside: kept\n    B:long\n)',
      '.alter table T policy caching hot = 31d',
    ]);
    expect(commands.map((c) => [c.line, c.column])).toEqual([
      [5, 1],
      [11, 1],
    ]);
    for (const c of commands) expect(script.slice(c.offset, c.offset + c.text.length)).toBe(c.text);
  });

  it('does not split at a blank line inside a ``` or ~~~ multi-line string', () => {
    const policy = '.alter table T policy ingestionbatching ```\n{\n\n  "MaximumBatchingTimeSpan": "00:00:30"\n}\n```';
    const doc = ".alter table T docstring ```\nFirst paragraph, with a ( and a // that are text.\n\nSecond paragraph's ' quote.\n```";
    const folder = '.alter table T folder ~~~\nA {\n\nB\n~~~';
    expect(texts(`${policy}\n\n${doc}\n\n${folder}\n\n.drop table T\n`)).toEqual([policy, doc, folder, '.drop table T']);
  });

  it('does not split at a blank line inside a function body or parentheses', () => {
    const fn = '.create-or-alter function F(since:timespan) {\n  T\n\n  | where Timestamp > ago(since)\n\n  | summarize count()\n}';
    const table = '.create table T (\n  A:string,\n\n  B:long\n)';
    expect(texts(`${fn}\n\n${table}`)).toEqual([fn, table]);
  });

  it('ignores brackets and // inside quoted strings, with escapes and verbatim strings', () => {
    const script = [
      `.create-or-alter function A() { print s = '{', u = "http://x/(" }`,
      '',
      `.create-or-alter function B() { print s = 'it\\'s {', t = "say \\"{\\"" }`,
      '',
      `.create-or-alter function C() { print p = @'C:\\dir\\', q = @"he said ""{""" }`,
      '',
      `.create-or-alter function D() { print q = h'secret {' }`,
    ].join('\n');
    expect(texts(script)).toEqual(script.split('\n\n'));
  });

  it('ends a quoted string at the end of its line, so an unterminated quote swallows nothing', () => {
    expect(texts(".alter table T docstring 'oops\n\n.drop table T")).toEqual([".alter table T docstring 'oops", '.drop table T']);
  });

  it('treats CRLF line endings like LF: same commands, no trailing \\r', () => {
    const lf = '// c\n.create table T (A:string)\n  \n.create-or-alter function F() {\n  T\n\n  | take 1\n}\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(texts(crlf)).toEqual(texts(lf).map((t) => t.replace(/\n/g, '\r\n')));
    expect(splitCommands(crlf).map((c) => c.line)).toEqual([2, 4]);
  });

  it('returns nothing for an empty script or one with only comments', () => {
    expect(splitCommands('')).toEqual([]);
    expect(splitCommands('\n\n// just a comment\n\n   \n')).toEqual([]);
  });

  it('splits the released scripts as written', async () => {
    const [v001, v002] = await listScripts('kql');
    expect(splitCommands(v001?.text ?? '').map((c) => c.text.split(' ', 3).join(' '))).toEqual([
      '.create-merge table QoeEvents',
      '.create-or-alter table QoeEvents',
    ]);
    expect(splitCommands(v002?.text ?? '').map((c) => c.text.split('\n', 1)[0])).toEqual([
      '.alter table QoeEvents policy streamingingestion enable',
      '.alter table QoeEvents policy ingestionbatching ```',
      '.alter-merge table QoeEvents policy retention softdelete = 365d recoverability = enabled',
      '.alter table QoeEvents policy caching hot = 31d',
    ]);
  });
});

describe('lineAndColumn', () => {
  it('gives 1-based line and column of an offset', () => {
    const text = 'ab\ncd\r\nef';
    expect(lineAndColumn(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn(text, 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn(text, 7)).toEqual({ line: 3, column: 1 });
  });
});
