/** Longest line the CLI prints for people; longer ones (a 20 MB name in a message) are cut. */
export const MAX_PRINTED_LINE = 2000;

/**
 * Makes text from outside (instance output, backend messages) safe to print on a terminal:
 * control characters — ESC (ANSI/OSC sequences), other C0 and C1 controls, DEL — are shown as
 * `\xNN` instead of being interpreted; tab is kept.
 */
export function neutralizeControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (character) => {
    return `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** `text` cut to `limit` characters, saying how long it was. */
export function clipLine(text: string, limit = MAX_PRINTED_LINE): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length} characters in all)`;
}

/** Outside text as one printable, bounded line. */
export function printable(text: string): string {
  return clipLine(neutralizeControls(text));
}

/** Like {@link printable}, keeping line breaks (each line made printable and bounded). */
export function printableLines(text: string): string {
  return text.split(/\r?\n/).map(printable).join('\n');
}
