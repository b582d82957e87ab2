// Chart.js, registered piecemeal: only what a line chart with tooltips needs, which keeps the
// bundle far smaller than 'chart.js/auto'. Colours are per theme because canvas cannot read CSS variables.
import {
  CategoryScale,
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ThemeName } from './theme.svelte.ts';

Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Filler);

export { Chart };

export interface ChartPalette {
  current: string;
  currentFill: string;
  previous: string;
  grid: string;
  text: string;
  tooltipBg: string;
  tooltipText: string;
}

const PALETTES: Record<ThemeName, ChartPalette> = {
  light: {
    current: '#4f46e5',
    currentFill: 'rgba(79, 70, 229, 0.12)',
    previous: '#94a3b8',
    grid: 'rgba(15, 23, 42, 0.08)',
    text: '#64748b',
    tooltipBg: '#0f172a',
    tooltipText: '#f8fafc',
  },
  dark: {
    current: '#818cf8',
    currentFill: 'rgba(129, 140, 248, 0.18)',
    previous: '#64748b',
    grid: 'rgba(226, 232, 240, 0.08)',
    text: '#94a3b8',
    tooltipBg: '#e2e8f0',
    tooltipText: '#0f172a',
  },
};

export function chartPalette(theme: ThemeName): ChartPalette {
  return PALETTES[theme];
}
