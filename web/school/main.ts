/*
 * The school page (/school): a school signs in with its token and follows its enrollments, transfer
 * notices, signals and absence reports live. Plain DOM, no framework; the token stays in this tab only
 * (sessionStorage), never in a URL. It reads in Dutch, or in English when the browser prefers it
 * or the user chooses it (language.ts).
 */
import './style.css';
import { apiClient, schoolOfToken } from './api.ts';
import { applyTexts, otherLanguage, setLanguage, texts } from './language.ts';
import { SchoolPage } from './page.ts';

const tokenKey = 'register-graph/school-token';
const httpUrl = new URL('/graphql', location.href);
const socketUrl = new URL(httpUrl);
socketUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';

const signIn = document.getElementById('sign-in')!;
const form = document.getElementById('sign-in-form') as HTMLFormElement;
const tokenField = document.getElementById('token') as HTMLTextAreaElement;
const signInError = document.getElementById('sign-in-error')!;
const schoolView = document.getElementById('school')!;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;
const languageButton = document.getElementById('language') as HTMLButtonElement;
let page: SchoolPage | undefined;

function open(token: string): void {
  const school = schoolOfToken(token);
  if (!school) return showSignIn(texts.notSchoolToken);
  page?.close();
  sessionStorage.setItem(tokenKey, token);
  signIn.hidden = true;
  schoolView.hidden = false;
  signOutButton.hidden = false;
  page = new SchoolPage({
    send: apiClient(httpUrl.href, token),
    socketUrl: socketUrl.href,
    token,
    school,
    signOut: (reason) => showSignIn(texts.signedOut(reason)),
  });
  document.getElementById('school-heading')!.focus();
}

function showSignIn(reason = ''): void {
  page?.close();
  page = undefined;
  sessionStorage.removeItem(tokenKey);
  schoolView.hidden = true;
  signOutButton.hidden = true;
  signIn.hidden = false;
  signInError.textContent = reason;
  document.getElementById('school-name')!.textContent = '';
  tokenField.focus();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenField.value.trim();
  tokenField.value = '';
  open(token);
});
signOutButton.addEventListener('click', () => showSignIn());
// The other language, remembered for the next visit. A signed-in school's page opens anew in it (its
// lists read again, resuming nothing, so nothing is missed); the focus stays on the button.
languageButton.addEventListener('click', () => {
  setLanguage(otherLanguage());
  applyTexts();
  signInError.textContent = '';
  const kept = sessionStorage.getItem(tokenKey);
  if (kept && page) open(kept);
  languageButton.focus();
});

setLanguage();
applyTexts();
const kept = sessionStorage.getItem(tokenKey);
if (kept) open(kept);
