import { render } from 'preact';
import { App } from './app';
import { storeToken, takeTokenFromLocation } from './session';
import './styles.css';

// Before anything renders: a portal-session link's token leaves the address bar at once.
const fromLink = takeTokenFromLocation();
if (fromLink) storeToken(fromLink, 'link');

render(<App />, document.getElementById('app')!);
