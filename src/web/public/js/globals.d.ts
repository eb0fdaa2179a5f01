// Globals of the UI's pages for the type check (tsconfig.web.json): uPlot comes from its IIFE build
// (/vendor/uplot/uPlot.iife.min.js, a classic <script> before the modules).
import type uPlotClass from 'uplot';

declare global {
  const uPlot: typeof uPlotClass;
}
export {};
