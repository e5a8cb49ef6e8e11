import { h, type Child } from './dom.js';

/** A field of a dialog's form. */
export interface Field {
  name: string;
  label: string;
  kind?: 'text' | 'textarea';
  required?: boolean;
  maxLength?: number;
  pattern?: string;
  hint?: string;
  value?: string;
}

export interface DialogOptions {
  title: string;
  body: Child[];
  fields?: Field[];
  confirmLabel: string;
  danger?: boolean;
  /** Whether the values allow confirming now (a typed confirmation); the button is disabled until then. */
  ready?: (values: Record<string, string>) => boolean;
  /** Runs on confirm; a thrown error is shown in the dialog, which stays open to try again. */
  action: (values: Record<string, string>) => Promise<void>;
}

let counter = 0;

/**
 * A modal <dialog>: focus moves into it and stays there, Escape or Cancel closes it, and focus
 * returns to what opened it. Resolves true once the action succeeded, false when cancelled.
 */
export function openDialog(options: DialogOptions): Promise<boolean> {
  const id = `dialog-${++counter}`;
  const opener = document.activeElement as HTMLElement | null;
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const fieldViews = (options.fields ?? []).map((field) => {
    const inputId = `${id}-${field.name}`;
    const common = {
      id: inputId,
      name: field.name,
      required: field.required,
      maxlength: field.maxLength,
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': field.hint ? `${inputId}-hint` : undefined,
    };
    const input =
      field.kind === 'textarea' ? h('textarea', { ...common, rows: 3 }) : h('input', { ...common, type: 'text', pattern: field.pattern });
    input.value = field.value ?? '';
    inputs.set(field.name, input);
    return h(
      'div',
      { class: 'field' },
      h('label', { for: inputId }, field.label),
      input,
      field.hint ? h('p', { class: 'hint', id: `${inputId}-hint` }, field.hint) : null,
    );
  });
  const error = h('p', { class: 'error', role: 'alert' });
  const confirm = h('button', { type: 'submit', class: options.danger ? 'danger' : 'primary' }, options.confirmLabel);
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', { novalidate: true }, fieldViews, error, h('div', { class: 'dialog-buttons' }, cancel, confirm));
  const dialog = h('dialog', { 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-body` }, h('h2', { id: `${id}-title` }, options.title), h('div', { id: `${id}-body` }, options.body), form);

  const values = (): Record<string, string> => Object.fromEntries([...inputs].map(([name, input]) => [name, input.value]));
  const refresh = (): void => {
    confirm.disabled = options.ready ? !options.ready(values()) : false;
  };
  form.addEventListener('input', refresh);
  refresh();

  return new Promise((resolve) => {
    let done = false;
    const finish = (result: boolean): void => {
      if (!done) {
        done = true;
        resolve(result);
      }
      if (dialog.open) dialog.close();
      dialog.remove();
      opener?.focus();
    };
    cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('close', () => finish(false));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (confirm.disabled) return;
      for (const input of inputs.values()) {
        if (!input.checkValidity()) {
          error.textContent = `${input.labels?.[0]?.textContent ?? input.name}: ${input.validationMessage}`;
          input.focus();
          return;
        }
      }
      error.textContent = '';
      confirm.disabled = true;
      cancel.disabled = true;
      form.setAttribute('aria-busy', 'true');
      options.action(values()).then(
        () => {
          done = true;
          resolve(true);
          finish(true);
        },
        (failure: unknown) => {
          error.textContent = failure instanceof Error ? failure.message : String(failure);
          cancel.disabled = false;
          form.removeAttribute('aria-busy');
          refresh();
        },
      );
    });
    document.body.append(dialog);
    dialog.showModal();
    (inputs.values().next().value ?? confirm).focus();
  });
}
