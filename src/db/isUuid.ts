const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a well-formed uuid (anything else cannot be a row id, and PostgreSQL would reject it). */
export const isUuid = (value: string): boolean => UUID.test(value);
