import { ALL_TABLES, type TableDefinition } from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../support/database';

/**
 * The migrations are the schema; the adapters' table definitions (libs/persistence table.ts) are
 * their typed copy of it. Both ways: every table and view the migrations create has a definition,
 * and every definition names exactly the columns, types and nullability the database has.
 */

interface ColumnRow {
  table_name: string;
  table_type: 'BASE TABLE' | 'VIEW';
  column_name: string;
  data_type: string;
  is_nullable: 'YES' | 'NO';
}

interface Shape {
  kind: TableDefinition['kind'];
  /** Column name -> `type` or `type NULL`; a view's columns without nullability (all YES to PostgreSQL). */
  columns: Record<string, string>;
}

function describeColumn(kind: Shape['kind'], type: string, nullable: boolean): string {
  return kind === 'view' || !nullable ? type : `${type} NULL`;
}

function definedShapes(): Record<string, Shape> {
  return Object.fromEntries(
    ALL_TABLES.map((definition) => [
      definition.name,
      {
        kind: definition.kind,
        columns: Object.fromEntries(
          Object.entries(definition.columns).map(([name, column]) => [
            name,
            describeColumn(definition.kind, column.type, column.nullable),
          ]),
        ),
      },
    ]),
  );
}

async function migratedShapes(dataSource: DataSource): Promise<Record<string, Shape>> {
  const rows: ColumnRow[] = await dataSource.query(
    `SELECT c.table_name, t.table_type, c.column_name, c.data_type, c.is_nullable
     FROM information_schema.columns c
     JOIN information_schema.tables t USING (table_schema, table_name)
     WHERE c.table_schema = 'public' AND c.table_name <> 'typeorm_migrations'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const shapes: Record<string, Shape> = {};
  for (const row of rows) {
    const kind = row.table_type === 'VIEW' ? 'view' : 'table';
    const shape = (shapes[row.table_name] ??= { kind, columns: {} });
    shape.columns[row.column_name] = describeColumn(kind, row.data_type, row.is_nullable === 'YES');
  }
  return shapes;
}

describe('table definitions against the migrated schema (real PostgreSQL)', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createMigratedDataSource();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('defines every table and view the migrations create, with their columns, types and nullability', async () => {
    const migrated = await migratedShapes(dataSource);
    expect(Object.keys(migrated).length).toBeGreaterThan(0);
    expect(definedShapes()).toEqual(migrated);
  });

  it('names each table once', () => {
    const names = ALL_TABLES.map((definition) => definition.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
