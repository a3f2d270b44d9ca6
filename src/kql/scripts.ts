// Versioned KQL scripts: kql/V<NNN>__<description>.kql, applied in version order, never edited after
// release. A script is a sequence of control commands separated by blank lines (the convention of
// `.execute database script` and Kusto Explorer); `//` starts a comment.

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface KqlScript {
  version: number;
  /** From the file name, underscores as spaces: V001__qoe_events.kql -> "qoe events". */
  description: string;
  /** The file name, e.g. V001__qoe_events.kql. */
  name: string;
  /** The folder joined with the name. */
  path: string;
  text: string;
  /** sha256 (hex) of the text with line endings normalised to \n. */
  checksum: string;
}

export interface KqlCommand {
  /** The command exactly as written, without the comments and blank lines around it. */
  text: string;
  /** Where `text` starts in the script (UTF-16 offset). */
  offset: number;
  /** 1-based line and column of that offset. */
  line: number;
  column: number;
}

/** A script folder that cannot be applied as it is: a badly named .kql file or a duplicate version. */
export class KqlScriptError extends Error {
  override name = 'KqlScriptError';
}

const SCRIPT_NAME = /^V(\d+)__(\w+)\.kql$/;

/** The versioned scripts in `dir`, in version order. Other .kql files in `dir` are an error. */
export async function listScripts(dir: string): Promise<KqlScript[]> {
  const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.kql')).sort();
  const scripts: KqlScript[] = [];
  for (const name of names) {
    const m = SCRIPT_NAME.exec(name);
    const [, version, description] = m ?? [];
    if (version === undefined || description === undefined) {
      throw new KqlScriptError(
        `${join(dir, name)}: not a versioned script name; expected V<NNN>__<description>.kql (e.g. V003__kpi_functions.kql)`,
      );
    }
    const path = join(dir, name);
    const text = await readFile(path, 'utf8');
    scripts.push({ version: Number(version), description: description.replace(/_/g, ' '), name, path, text, checksum: checksum(text) });
  }
  scripts.sort((a, b) => a.version - b.version);
  for (const [i, script] of scripts.entries()) {
    const before = scripts[i - 1];
    if (before?.version === script.version) {
      throw new KqlScriptError(`${before.path} and ${script.path}: both are version ${script.version}`);
    }
  }
  return scripts;
}

/** sha256 (hex) of `text` with CRLF and CR line endings normalised to LF. */
export function checksum(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n?/g, '\n'), 'utf8').digest('hex');
}

/**
 * Splits a script into its commands: a line holding only whitespace ends a command, except inside
 * a multi-line string (``` or ~~~) or an open (, [ or { (a function body, a column
 * list). Brackets and // inside '...' and "..." strings (\ escapes; none in verbatim @'...') do not
 * count; such strings cannot span lines. Comments and whitespace around a command are not part of
 * it; comments inside it are. Offsets are exact, so `text` is what a cluster should be sent.
 */
export function splitCommands(script: string): KqlCommand[] {
  const commands: KqlCommand[] = [];
  let depth = 0;
  let lineIsBlank = true;
  let start = -1; // first significant character of the current command
  let end = -1; // just after its last significant character

  const finish = () => {
    if (start >= 0) commands.push({ text: script.slice(start, end), offset: start, ...lineAndColumn(script, start) });
    start = end = -1;
  };
  const significant = (from: number, to: number) => {
    if (start < 0) start = from;
    end = to;
    lineIsBlank = false;
  };

  let i = 0;
  while (i < script.length) {
    const c = script[i];
    if (c === '\n') {
      if (lineIsBlank && depth === 0) finish();
      lineIsBlank = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF') {
      i++;
    } else if (c === '/' && script[i + 1] === '/') {
      lineIsBlank = false;
      while (i < script.length && script[i] !== '\n') i++;
    } else if ((c === '`' || c === '~') && script.startsWith(c.repeat(3), i)) {
      const close = script.indexOf(c.repeat(3), i + 3);
      const to = close < 0 ? script.length : close + 3;
      significant(i, to);
      i = to;
    } else if (c === "'" || c === '"') {
      const to = stringEnd(script, i, script[i - 1] === '@');
      significant(i, to);
      i = to;
    } else {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
      significant(i, i + 1);
      i++;
    }
  }
  finish();
  return commands;
}

/**
 * The index just after the '...' or "..." string literal that opens at `open`, or of its line's end
 * (unterminated: the parser will say so). A verbatim @'...' string's doubled quote needs no care:
 * it ends the string and opens the next.
 */
function stringEnd(s: string, open: number, verbatim: boolean): number {
  const quote = s[open];
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (c === quote) return i + 1;
    if (c === '\n' || c === '\r') return i;
    if (c === '\\' && !verbatim && i + 1 < s.length && s[i + 1] !== '\n' && s[i + 1] !== '\r') i++;
  }
  return s.length;
}

/** 1-based line and column of `offset` in `text` (lines end at \n). */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
