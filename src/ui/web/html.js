import { h } from 'preact';
import htm from 'htm';

/** JSX-like templates without a compile step (htm): the source is the standard JavaScript the browser runs. */
export const html = htm.bind(h);
