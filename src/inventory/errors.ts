// Positioned inventory problems and the one error that carries them all.
import path from 'node:path';
import { BadInputError } from '../util/errors.js';

/** 1-based line and column, as editors show them. */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

export interface Problem {
  readonly pos: Pos;
  /** Field path such as `nodes[1].port`; empty for file-level problems (YAML syntax). */
  readonly path: string;
  /** "expected …, found …" plus, where useful, what to do. */
  readonly message: string;
}

export const START: Pos = Object.freeze({ line: 1, col: 1 });

/** The file as the operator typed it: relative to cwd when it lies below cwd, else absolute. */
export function displayFile(file: string, cwd: string): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

export function formatProblem(shownFile: string, p: Problem): string {
  const where = `${shownFile}:${p.pos.line}:${p.pos.col}`;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where} ${p.message}`;
}

/** Source order, so the operator can walk the file top to bottom. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col || a.path.localeCompare(b.path));
}

export class InventoryError extends BadInputError {
  readonly file: string;
  readonly problems: readonly Problem[];

  constructor(shownFile: string, problems: readonly Problem[]) {
    const sorted = sortProblems(problems);
    const n = sorted.length;
    super(`inventory ${shownFile} is invalid: ${n} problem${n === 1 ? '' : 's'}`, {
      details: sorted.map((p) => formatProblem(shownFile, p)),
      hint: 'fix every line above and run again; nothing was sent to any node',
    });
    this.name = 'InventoryError';
    this.file = shownFile;
    this.problems = sorted;
  }
}
