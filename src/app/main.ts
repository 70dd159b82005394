import { mount } from 'svelte';
import App from './App.svelte';
import './styles/app.css';
import { appStatus } from './state/status.svelte.js';
import { router } from './state/router.svelte.js';
import { appLogger, workbenchStore } from './state/workbench.js';
import { filePreferences, PREFER_FOLDER_KEY } from './files/preferences.js';
import { messages } from './state/messages.svelte.js';

router.start();
mount(App, { target: document.getElementById('app')! });
void appStatus.start().then(() => {
  appLogger.info('workbench started', { persistence: appStatus.persistence });
});
void workbenchStore()
  .then((store) => store.getMeta<boolean>(PREFER_FOLDER_KEY))
  .then((preferFolder) => {
    filePreferences.preferFolder = preferFolder === true;
  })
  .catch((error: unknown) => messages.fail(error, 'Opening the workbench storage'));
