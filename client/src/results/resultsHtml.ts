/**
 * The results webview's HTML. The Content-Security-Policy lives only here: nothing loads but the
 * bundle's own script (by nonce) and stylesheet, images only from data: (chart PNG preview), no
 * inline handlers, no eval, no network.
 */

/** What the page needs from the host; plain strings so tests can serve the same page. */
export interface ResultsHtmlParts {
  /** `webview.cspSource`: the origin the bundle is served from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  /** Fresh per page load. */
  nonce: string;
  title: string;
}

export function buildResultsHtml(parts: ResultsHtmlParts): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${parts.nonce}'`,
    `style-src ${parts.cspSource} 'nonce-${parts.nonce}'`,
    `font-src ${parts.cspSource}`,
    'img-src data:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(parts.styleUri)}" nonce="${parts.nonce}">
<title>${escapeText(parts.title)}</title>
</head>
<body>
<div id="app" aria-live="polite"></div>
<script nonce="${parts.nonce}" src="${escapeAttribute(parts.scriptUri)}"></script>
</body>
</html>`;
}

/** 32 alphanumeric characters from a CSPRNG. */
export function createNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}
