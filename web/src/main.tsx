import { createRoot } from 'react-dom/client';
// React Flow's styles first, ours after (the one style sheet holds both; React Flow's script loads when needed)
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './app';

createRoot(document.getElementById('root')!).render(<App />);
