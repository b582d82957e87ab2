import { mount } from 'svelte';
import './styles/base.css';
import './styles/ui.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element to mount into');

export default mount(App, { target });
