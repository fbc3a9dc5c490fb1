/*
 * The school page (/school): a school signs in with its token and follows its enrollments, transfer
 * notices and absence reports live. Plain DOM, no framework; the token stays in this tab only
 * (sessionStorage), never in a URL.
 */
import './style.css';
import { apiClient, schoolOfToken } from './api.ts';
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
let page: SchoolPage | undefined;

function open(token: string): void {
  const school = schoolOfToken(token);
  if (!school) return showSignIn('This is not a school’s token: it must be a vendor token acting for one school (see below).');
  sessionStorage.setItem(tokenKey, token);
  signIn.hidden = true;
  schoolView.hidden = false;
  signOutButton.hidden = false;
  page = new SchoolPage({
    send: apiClient(httpUrl.href, token),
    socketUrl: socketUrl.href,
    token,
    school,
    signOut: (reason) => showSignIn(`Signed out: ${reason}`),
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

const kept = sessionStorage.getItem(tokenKey);
if (kept) open(kept);
