// Long texts cut for the Control Panel: the first characters, then a marker saying the text was cut
// and how long it was, so that a page can show a plan with a 50 MB description without carrying it.

/** What ends a cut text: `… [truncated: 52428800 bytes in all]`. */
export function truncationMarker(fullBytes: number): string {
  return `… [truncated: ${fullBytes} bytes in all]`;
}

/** The first `maxChars` characters of `text`, never splitting a surrogate pair. */
function head(text: string, maxChars: number): string {
  let cut = text.slice(0, maxChars);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

/**
 * `text` itself when it has at most `maxChars` characters; otherwise its head and the marker.
 * `fullBytes` is the whole text's UTF-8 length when `text` is only a head of it (a head of more than
 * `maxChars` characters, so that a cut is seen).
 * @example truncateText('x'.repeat(10), 4) // 'xxxx… [truncated: 10 bytes in all]'
 */
export function truncateText(text: string, maxChars: number, fullBytes?: number): string {
  if (text.length <= maxChars) return text;
  return `${head(text, maxChars)}${truncationMarker(fullBytes ?? Buffer.byteLength(text))}`;
}
