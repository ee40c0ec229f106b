/**
 * The one chart library, uPlot, loaded only when a page draws a chart: the first render of
 * every other page does not wait for it (Vite splits it into a chunk of its own).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export default uPlot;
