import type { ComponentChildren } from 'preact';

/** A column heading: its text, or its text and the cell class it shares with its cells (such as `num`). */
export type Column = string | [label: string, cellClass: string];

interface TableProps {
  caption: string;
  columns: Column[];
  /** Adds the last, visually unlabelled "Actions" column. */
  actions?: boolean;
  tableClass?: string;
  children: ComponentChildren;
}

/** A table with a caption for screen readers and a row of column headers. */
export function DataTable({ caption, columns, actions, tableClass = 'table', children }: TableProps) {
  return (
    <div class="table-wrap">
      <table class={tableClass}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) =>
              typeof column === 'string' ? (
                <th scope="col" key={column}>
                  {column}
                </th>
              ) : (
                <th scope="col" class={column[1]} key={column[0]}>
                  {column[0]}
                </th>
              ),
            )}
            {actions && (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function EmptyState({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function LoadMore({ cursor, onMore }: { cursor: string | null; onMore: () => unknown }) {
  if (!cursor) return null;
  return (
    <button type="button" class="button" onClick={() => void onMore()}>
      Load more
    </button>
  );
}
