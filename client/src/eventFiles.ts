/** Which files are event files to send: the server lints them, the CodeLens offers Send Events on them. */
import type * as vscode from 'vscode';

/** The files the server lints as events to send; the language client's document selector uses it too. */
export const EVENT_FILE_PATTERN = '**/*.{events.ndjson,events.json,mparticle.json}';

export function isEventFile(uri: vscode.Uri): boolean {
  return /\.(events\.ndjson|events\.json|mparticle\.json)$/.test(uri.path);
}

export function isMparticleFileName(uri: vscode.Uri): boolean {
  return /\.mparticle\.json$/.test(uri.path);
}
