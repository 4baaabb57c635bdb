/**
 * A cost in the report's currency: cents for figures of a cent or more, four places below
 * (a short job on a small server costs fractions of a cent, and "0.00" would say free).
 */
export function formatMoney(value: number, currency: string): string {
  const digits = value !== 0 && Math.abs(value) < 0.01 ? 4 : 2;
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(value);
  } catch {
    // A code Intl does not know still shows, after the figure.
    return `${value.toFixed(digits)} ${currency}`;
  }
}
