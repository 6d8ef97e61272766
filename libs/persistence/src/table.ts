/**
 * What the adapters know of a table or view: its columns, their PostgreSQL types and nullability.
 * The migrations are the schema; a definition is the adapters' typed copy of it, and
 * test/persistence/table-definitions.test.ts checks each against the migrated database both ways.
 * Column lists and row types derive from it, so a column is named in one place besides its DDL.
 */

/** A PostgreSQL type as `information_schema.columns.data_type` names it. */
export type SqlType =
  'text' | 'uuid' | 'bigint' | 'integer' | 'boolean' | 'jsonb' | 'bytea' | 'timestamp with time zone';

/** One column; `Value` is what node-postgres returns for it (a bigint arrives as a string). */
export interface Column<Value> {
  readonly type: SqlType;
  readonly nullable: boolean;
  /** Never set: carries `Value` for RowOf. */
  readonly value?: Value;
}

const column = <Value>(type: SqlType): Column<Value> => ({ type, nullable: false });

export const text = <Value extends string = string>(): Column<Value> => column('text');
export const uuid = (): Column<string> => column('uuid');
export const bigint = (): Column<string> => column('bigint');
export const integer = (): Column<number> => column('integer');
export const boolean = (): Column<boolean> => column('boolean');
export const jsonb = <Value>(): Column<Value> => column('jsonb');
export const bytea = (): Column<Buffer> => column('bytea');
export const timestamptz = (): Column<Date> => column('timestamp with time zone');

/** A column that may be NULL. */
export function nullable<Value>(of: Column<Value>): Column<Value | null> {
  return { type: of.type, nullable: true };
}

export type Columns = Record<string, Column<unknown>>;

export interface TableDefinition<C extends Columns = Columns> {
  readonly name: string;
  /** A view's columns are all nullable to PostgreSQL, so only a table's nullability is checked. */
  readonly kind: 'table' | 'view';
  readonly columns: C;
}

export function table<const C extends Columns>(name: string, columns: C): TableDefinition<C> {
  return { name, kind: 'table', columns };
}

export function view<const C extends Columns>(name: string, columns: C): TableDefinition<C> {
  return { name, kind: 'view', columns };
}

export type ColumnName<T extends TableDefinition> = keyof T['columns'] & string;

/** A row of `T` as node-postgres returns it, with the columns `K` (default: all). */
export type RowOf<T extends TableDefinition, K extends ColumnName<T> = ColumnName<T>> = {
  -readonly [P in K]: T['columns'][P] extends Column<infer Value> ? Value : never;
};

/** `a, b, c` for a SELECT, INSERT or RETURNING list; the names are checked against the definition. */
export function columnList<T extends TableDefinition>(
  _definition: T,
  names: readonly ColumnName<T>[],
  alias?: string,
): string {
  return names.map((name) => (alias === undefined ? name : `${alias}.${name}`)).join(', ');
}
