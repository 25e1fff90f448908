/** Beijing keeps UTC+8 all year (no daylight saving), so its wall clock is UTC shifted by a constant. */
export const beijingOffsetMs = 8 * 3_600_000;
