// The small page a browser gets when a signup or reset link cannot be used (or a page is not allowed):
// rendered by the server, without the app's scripts, so that it says what happened and what to do
// even when the panel's pages are not built. Every interpolated text is escaped.

export interface RefusalPage {
  title: string;
  /** What happened, one or two sentences. */
  message: string;
  /** What to do about it. */
  action: string;
  /** Shell commands the action names, shown as code. */
  commands?: readonly string[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * The HTML of a refusal page.
 * @example reply.code(410).type('text/html; charset=utf-8').send(refusalPageHtml({ title: 'This signup link has expired', message, action }));
 */
export function refusalPageHtml(page: RefusalPage): string {
  const commands = (page.commands ?? []).map((command) => `<pre><code>${escapeHtml(command)}</code></pre>`).join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)} - Gravity Control Panel</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}',
    'h1{font-size:1.4rem}pre{background:#f0f2f5;padding:.6rem .8rem;border-radius:4px;overflow-x:auto}a{color:#1f6feb}</style>',
    '</head><body>',
    `<h1>${escapeHtml(page.title)}</h1>`,
    `<p>${escapeHtml(page.message)}</p>`,
    `<p>${escapeHtml(page.action)}</p>`,
    commands,
    '<p><a href="/login">Go to the sign-in page</a></p>',
    '</body></html>',
    '',
  ].join('\n');
}
