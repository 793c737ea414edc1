// Where a form says what went wrong: the message, and each individual problem on its own line.

import type { JSX } from 'preact';
import type { FormError } from '../model/form-errors.ts';

export function FormErrorBox({ error }: { error: FormError | undefined }): JSX.Element | null {
  if (error === undefined) return null;
  return (
    <div class="form-error" data-testid="form-error" role="alert">
      <p>{error.message}</p>
      {error.details.length > 0 && (
        <ul>
          {error.details.map((detail) => (
            <li key={detail}>{detail}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
