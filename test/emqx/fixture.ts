// Recorded outputs from reference/emqx-cli-facts.md, copied verbatim into fixtures/*.txt
// (files named `constructed-*` are built from the facts' description, not copied).
import { readFileSync } from 'node:fs';

export function fx(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

/** The same text with CRLF line endings (a pty, or a Windows jump host). */
export const crlf = (s: string): string => s.replace(/\n/g, '\r\n');
