// The Control Panel's entry point: the styles and the app, mounted on the page's root element.

import { render } from 'preact';
import { App } from './app.tsx';
import './styles.css';

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
