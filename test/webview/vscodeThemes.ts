// The colours VS Code's own themes (Light Modern, Dark Modern, High Contrast) give a webview, as CSS
// variables on <body> plus its theme class: the panel is tested and photographed under each.
import type { Page } from 'playwright-core';

// Callbacks passed to page.evaluate run in the browser; the Node-side typecheck has no DOM lib.
declare const document: any;

export interface WebviewTheme {
  className: string;
  variables: Record<string, string>;
}

export const THEMES: Record<string, WebviewTheme> = {
  light: {
    className: 'vscode-light',
    variables: {
      '--vscode-editor-background': '#ffffff',
      '--vscode-foreground': '#3b3b3b',
      '--vscode-editor-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#3b3b3b',
      '--vscode-panelTitle-activeForeground': '#3b3b3b',
      '--vscode-panelTitle-inactiveForeground': '#3b3b3b',
      '--vscode-panelTitle-activeBorder': '#005fb8',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
      '--vscode-font-family': 'sans-serif',
    },
  },
  dark: {
    className: 'vscode-dark',
    variables: {
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-foreground': '#cccccc',
      '--vscode-editor-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-panelTitle-activeForeground': '#cccccc',
      '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
      '--vscode-panelTitle-activeBorder': '#0078d4',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-font-family': 'sans-serif',
    },
  },
  'high contrast': {
    className: 'vscode-high-contrast',
    variables: {
      '--vscode-editor-background': '#000000',
      '--vscode-foreground': '#ffffff',
      '--vscode-editor-foreground': '#ffffff',
      '--vscode-descriptionForeground': '#ffffff',
      '--vscode-panelTitle-activeForeground': '#ffffff',
      '--vscode-panelTitle-inactiveForeground': '#ffffff',
      '--vscode-panelTitle-activeBorder': '#6fc3df',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-font-family': 'sans-serif',
    },
  },
};

export async function applyTheme(page: Page, theme: WebviewTheme): Promise<void> {
  await page.evaluate((value) => {
    document.body.className = value.className;
    for (const [variable, color] of Object.entries(value.variables)) document.body.style.setProperty(variable, color as string);
  }, theme);
}
