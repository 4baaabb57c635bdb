import type { ReactNode } from 'react';

/** A full-width message in place of the table: what happened and what to do. */
export function StateMessage(props: {
  kind: 'loading' | 'empty' | 'error' | 'auth';
  title: string;
  children?: ReactNode;
}) {
  return (
    <div
      className={`state state-${props.kind}`}
      role={props.kind === 'loading' ? 'status' : 'alert'}
      data-testid={`state-${props.kind}`}
    >
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}
