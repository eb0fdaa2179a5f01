/**
 * The PV model the simulator produces by and the optimiser forecasts with: AC power = DC peak ×
 * irradiance / 1000 W/m² × {@link PV_PERFORMANCE_RATIO}, at most the inverter's AC rating.
 */

/** DC-to-AC performance ratio on global horizontal irradiance (orientation, temperature, wiring, inverter), 0–1. */
export const PV_PERFORMANCE_RATIO = 0.8;

/** Standard test condition irradiance the DC peak is rated at, W/m². */
export const STC_IRRADIANCE_WM2 = 1000;
