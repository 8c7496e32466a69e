/**
 * The two report views drawn as HTML rather than on a canvas, as Mixpanel draws them: the
 * retention heatmap (a table whose cells are shaded by the share retained, text in black or white,
 * whichever reads better on the cell) and the funnel (one bar per step and segment, side by side,
 * with counts, conversions and time to convert as text laid out in flow, so labels cannot overlap).
 * Being DOM, both are read by screen readers and selectable; all data goes in through textContent.
 */
import type { FunnelChartSpec, HeatmapChartSpec } from '../../../../server/src/results/chartModel';
import { formatCell } from './cellFormat';
import { element } from './dom';

type Rgb = [number, number, number];

/** `#rgb`, `#rrggbb`, `#rrggbbaa` or `rgb(a)(…)` → RGB; undefined for anything else. */
export function parseColor(text: string): Rgb | undefined {
  const value = text.trim();
  const hex = /^#([0-9a-f]{3,8})$/i.exec(value)?.[1];
  if (hex) {
    const full = hex.length <= 4 ? [...hex.slice(0, 3)].map((digit) => digit + digit).join('') : hex.slice(0, 6);
    return [0, 2, 4].map((start) => parseInt(full.slice(start, start + 2), 16)) as Rgb;
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(value);
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : undefined;
}

function luminance([red, green, blue]: Rgb): number {
  const channel = (value: number) => {
    const scaled = value / 255;
    return scaled <= 0.03928 ? scaled / 12.92 : ((scaled + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue);
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrastRatio(first: Rgb, second: Rgb): number {
  const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

function mix(from: Rgb, to: Rgb, share: number): Rgb {
  return from.map((value, index) => Math.round(value + (to[index] - value) * share)) as Rgb;
}

const css = (color: Rgb) => `rgb(${color[0]}, ${color[1]}, ${color[2]})`;
const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];

function themeColor(name: string, fallback: string): Rgb {
  return parseColor(getComputedStyle(document.body).getPropertyValue(name)) ?? parseColor(fallback)!;
}

/** The retention triangle as a table; `percent` 0–100 shades from the editor background to the chart blue. */
export function renderRetentionHeatmap(spec: HeatmapChartSpec): HTMLElement {
  const background = themeColor('--vscode-editor-background', '#ffffff');
  const accent = themeColor('--vscode-charts-blue', '#3794ff');
  const table = element('table', {
    className: 'retention-heatmap',
    attributes: { 'aria-label': 'Retention by cohort: share of the cohort that came back in each interval' },
  });
  const head = element('tr', {}, [
    element('th', { text: 'Cohort', attributes: { scope: 'col' } }),
    ...spec.columnLabels.map((label) => element('th', { text: label, attributes: { scope: 'col' } })),
  ]);
  const cells = new Map(spec.cells.map((cell) => [`${cell[0]}:${cell[1]}`, cell]));
  const rows = spec.rowLabels.map((label, row) =>
    element('tr', {}, [
      element('th', { text: label, attributes: { scope: 'row' } }),
      ...spec.columnLabels.map((_column, column) => {
        const cell = cells.get(`${column}:${row}`);
        if (!cell) return element('td', { className: 'empty' });
        const [, , percent, users] = cell;
        // A floor of 8 % keeps a 0 % cell visibly a cell; the rest of the range follows the share.
        const fill = mix(background, accent, 0.08 + 0.92 * Math.min(1, Math.max(0, percent / 100)));
        const text = contrastRatio(fill, BLACK) >= contrastRatio(fill, WHITE) ? BLACK : WHITE;
        const td = element('td', { className: 'cell', text: `${formatCell(percent)} %`, title: `${formatCell(users)} users` });
        td.style.background = css(fill);
        td.style.color = css(text);
        return td;
      }),
    ]),
  );
  table.append(element('thead', {}, [head]), element('tbody', {}, rows));
  return element('div', { className: 'heatmap-scroller', attributes: { tabindex: '0' } }, [table]);
}

/** "1 h 5 min", "42 s", "3 d 4 h": the average time from the previous step. */
export function formatDurationShort(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) {
    const minutes = Math.round(seconds / 60);
    return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  }
  const hours = Math.round(seconds / 3600);
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** Bars per step, one per segment side by side, each with its count and conversions above it. */
export function renderFunnelBars(spec: FunnelChartSpec, palette: string[]): HTMLElement {
  const max = Math.max(1, ...spec.series.flatMap((series) => series.counts));
  const legend =
    spec.series.length > 1
      ? element(
          'ul',
          { className: 'funnel-legend' },
          spec.series.map((series, index) => {
            const swatch = element('span', { className: 'swatch' });
            swatch.style.background = palette[index % palette.length];
            return element('li', {}, [swatch, element('span', { text: series.name })]);
          }),
        )
      : undefined;
  const steps = spec.steps.map((step, stepIndex) => {
    const bars = spec.series.map((series, seriesIndex) => {
      const count = series.counts[stepIndex] ?? 0;
      const lines = [element('span', { className: 'count', text: formatCell(count) })];
      if (stepIndex > 0) {
        lines.push(element('span', { className: 'conversion', text: `${formatCell(series.stepPercent[stepIndex])} % of previous` }));
        lines.push(element('span', { className: 'overall', text: `${formatCell(series.overallPercent[stepIndex])} % overall` }));
        const seconds = series.avgSeconds?.[stepIndex];
        if (seconds !== null && seconds !== undefined) lines.push(element('span', { className: 'time', text: `avg ${formatDurationShort(seconds)}` }));
      }
      const bar = element('div', { className: 'bar' });
      bar.style.height = `${Math.max(1, (count / max) * 100)}%`;
      bar.style.background = palette[seriesIndex % palette.length];
      return element(
        'div',
        {
          className: 'funnel-bar',
          attributes: { role: 'group', 'aria-label': `${step}, ${series.name}: ${lines.map((line) => line.textContent).join(', ')}` },
        },
        [element('div', { className: 'bar-label' }, lines), element('div', { className: 'bar-track' }, [bar])],
      );
    });
    return element('div', { className: 'funnel-step' }, [
      element('div', { className: 'funnel-bars' }, bars),
      element('div', { className: 'step-name', text: `${stepIndex + 1}. ${step}`, title: step }),
    ]);
  });
  return element('div', { className: 'funnel-view' }, [legend, element('div', { className: 'funnel-steps' }, steps)]);
}
