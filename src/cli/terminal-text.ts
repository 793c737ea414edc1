// Much of what the CLI prints comes from users or from other machines: plan descriptions, phase
// errors, probe errors, hook output, user names. A control character in it would reach the terminal
// raw: an escape sequence can recolour the screen, rewrite the window title, move the cursor over
// earlier lines, or (on some terminals) answer back as if typed; a carriage return can hide what came
// before it on the line. This module is the one place that turns such characters into visible text.
//
// Every control character becomes `\u` and four hex digits (ESC is `\u001b`, CR `\u000d`, CSI
// `\u009b`): the C0 controls (U+0000–U+001F) except the newline and the tab, DEL (U+007F) and the C1
// controls (U+0080–U+009F). It is the escape JSON itself uses, so applying it to JSON output leaves
// valid JSON with the same data (JSON.stringify already escapes C0 controls; DEL and C1 it leaves raw).
// The program's output (program.ts) passes everything it writes through terminalText, so a command
// cannot forget it; the few outputs that colour on a terminal pass through styledTerminalText, which
// keeps only gravity's own styling sequences and escapes the rest, and escape their data first.

/** The control characters that are escaped (newline and tab are kept, see terminalLine). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacters = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** The same, newline and tab included: for a value that must stay on one line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const lineBreakingCharacters = /[\u0000-\u001f\u007f-\u009f]/g;

/** The styling gravity itself writes on a terminal: red, green, blue, reset, and the ticker's line clear. */
// eslint-disable-next-line no-control-regex -- gravity's own escape sequences
const ownStyling = /(\r\u001b\[2K|\u001b\[(?:0|31|32|34)m)/;

function visible(char: string): string {
  return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/**
 * Text safe to write to a terminal: every control character but newline and tab made visible.
 * Applying it twice changes nothing.
 * @example terminalText('\u001b[31mred\u001b[0m') // '\\u001b[31mred\\u001b[0m'
 */
export function terminalText(text: string): string {
  return text.replace(controlCharacters, visible);
}

/**
 * A value for one line or one table cell: newlines and tabs made visible too.
 * @example terminalLine('a\nb') // 'a\\u000ab'
 */
export function terminalLine(text: string): string {
  return text.replace(lineBreakingCharacters, visible);
}

/**
 * For output that gravity styles itself on a terminal: its own colour and line-clearing sequences
 * pass, every other control character is made visible. Data must still go through terminalText or
 * terminalLine before it is styled, or a colour code in it would pass as gravity's own.
 * @example styledTerminalText('\u001b[31mFailed\u001b[0m \u001b]0;x\u0007') // '\u001b[31mFailed\u001b[0m \\u001b]0;x\\u0007'
 */
export function styledTerminalText(text: string): string {
  return text
    .split(ownStyling)
    .map((part, index) => (index % 2 === 1 ? part : terminalText(part)))
    .join('');
}
