/** The Fleet grid's columns. */
export type ColumnId = 'name' | 'provider' | 'status' | 'disk' | 'jobs' | 'load' | 'age' | 'fresh';

/** Narrowest useful width of each column, in CSS px (name: enough for a name's tail). */
export const COLUMN_MIN_PX: Record<ColumnId, number> = {
  name: 200,
  provider: 96,
  status: 170,
  disk: 220,
  jobs: 170,
  load: 72,
  age: 80,
  fresh: 100,
};

const ORDER: readonly ColumnId[] = [
  'name',
  'provider',
  'status',
  'disk',
  'jobs',
  'load',
  'age',
  'fresh',
];
/** Dropped first when the grid is too narrow; what they show moves to the name's sub-line or the details. */
const DROP_ORDER: readonly ColumnId[] = ['age', 'provider', 'load', 'fresh'];

/** How the Fleet grid lays out at a width: columns in a table, or one card per machine. */
export type FleetLayout =
  { mode: 'table'; columns: ColumnId[]; widths: Record<ColumnId, number> } | { mode: 'cards' };

/**
 * The columns that fit a grid `width` px wide at their minimum widths, dropping the least
 * needed first, with each column's share of the width in %. Below the four columns a
 * machine needs (name, status, disk, jobs), rows become cards. Unmeasured (0): all columns.
 */
export function layoutForWidth(width: number): FleetLayout {
  const columns = [...ORDER];
  const total = () => columns.reduce((sum, id) => sum + COLUMN_MIN_PX[id], 0);
  if (width > 0) {
    for (const drop of DROP_ORDER) {
      if (total() <= width) break;
      columns.splice(columns.indexOf(drop), 1);
    }
    if (total() > width) return { mode: 'cards' };
  }
  const sum = total();
  const widths = Object.fromEntries(
    columns.map((id) => [id, (COLUMN_MIN_PX[id] / sum) * 100]),
  ) as Record<ColumnId, number>;
  return { mode: 'table', columns, widths };
}
