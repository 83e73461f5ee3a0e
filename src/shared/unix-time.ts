/**
 * The instants the service deals in, in unix seconds: those of years 1 to 9999, which have
 * calendar days in every time zone and fit every store's integer columns (PostgreSQL's bigint
 * refused 1e308 and 2^63 and failed its projections).
 */
export const FIRST_SECOND_OF_YEAR_1 = -62_135_596_800;
export const LAST_SECOND_OF_YEAR_9999 = 253_402_300_799;
