// The rules a new password must follow, checked when a user signs up or resets a password. Each
// broken rule is reported with its own sentence, all at once, so that a user fixes everything in
// one go. The rules favour length over symbols (a long phrase of words is good), and refuse what a
// guesser tries first: the most common passwords, with or without digits and symbols around them,
// and the user's own name from the email.

/** The shortest password accepted. */
export const minPasswordLength = 12;
/** The longest password accepted (hashing a megabyte is a way to keep the agent busy). */
export const maxPasswordLength = 1024;
/** From this length on, a password of one character class (say, lower-case words) is fine. */
export const singleClassMinLength = 20;

/**
 * The passwords guessers try first (from published lists of leaked passwords), lower case. Most are
 * shorter than the minimum on their own; they are here because `Password2024!` is `password` with
 * digits and symbols around it.
 */
export const commonPasswords: ReadonlySet<string> = new Set([
  '123456', '123456789', '12345678', '12345', '1234567', '1234567890', '123123', '111111', '000000', '654321',
  '123321', '666666', '121212', '112233', '987654321', '123456789012', '1234567891011', '11111111111',
  'password', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'pass', 'passpass', 'passwort', 'motdepasse', 'contraseña',
  'qwerty', 'qwertyuiop', 'qwerty123', 'qwertyuiop123', 'qwertz', 'azerty', 'asdfgh', 'asdfghjkl', 'zxcvbnm',
  '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', 'q1w2e3r4t5y6', '1qaz2wsx', '1qaz2wsx3edc', 'zaq12wsx', 'qazwsx',
  'abc123', 'abcdef', 'abcd1234', 'abcdefgh', 'abcdefghijkl', 'a1b2c3', 'aa123456', 'iloveyou', 'loveyou',
  'letmein', 'welcome', 'monkey', 'dragon', 'master', 'sunshine', 'princess', 'football', 'baseball',
  'shadow', 'superman', 'batman', 'trustno1', 'whatever', 'freedom', 'starwars', 'pokemon', 'michael',
  'jennifer', 'jordan', 'hunter', 'hello', 'charlie', 'donald', 'secret', 'login', 'admin', 'administrator',
  'root', 'toor', 'changeme', 'default', 'guest', 'test', 'testing', 'user', 'access', 'computer', 'internet',
  'cluster', 'kubernetes', 'gravity', 'teleport', 'teleadmin', 'docker', 'linux', 'ubuntu', 'debian',
  'summer', 'winter', 'spring', 'autumn', 'january', 'december', 'google', 'samsung', 'soccer', 'killer',
  'mustang', 'thomas', 'ashley', 'daniel', 'andrew', 'joshua', 'matthew', 'jessica', 'amanda', 'qwertyqwerty',
  'passwordpassword', 'iloveyou123', 'correcthorsebatterystaple',
]);

type CharacterClass = 'lower-case letters' | 'upper-case letters' | 'other letters' | 'digits' | 'symbols';

function characterClasses(password: string): Set<CharacterClass> {
  const classes = new Set<CharacterClass>();
  for (const char of password) {
    if (/\p{Ll}/u.test(char)) classes.add('lower-case letters');
    else if (/\p{Lu}|\p{Lt}/u.test(char)) classes.add('upper-case letters');
    else if (/\p{L}/u.test(char)) classes.add('other letters');
    else if (/\p{Nd}/u.test(char)) classes.add('digits');
    else classes.add('symbols');
  }
  return classes;
}

/** The password without the digits, symbols and spaces a guesser adds around a word. */
function core(lower: string): string {
  return lower.replace(/^[^\p{L}]+/u, '').replace(/[^\p{L}]+$/u, '');
}

/**
 * Every rule the password breaks, one sentence each; empty when it is good enough.
 * @example passwordProblems('hunter2', 'alice@example.com') // ['it must be at least 12 characters long (it has 7)', ...]
 */
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < minPasswordLength) problems.push(`it must be at least ${minPasswordLength} characters long (it has ${length})`);
  if (length > maxPasswordLength) problems.push(`it must be at most ${maxPasswordLength} characters long (it has ${length})`);

  const lower = password.toLowerCase();
  const name = (email.split('@')[0] ?? '').toLowerCase();
  if (name.length >= 3 && lower.includes(name)) problems.push(`it must not contain your email's name (${JSON.stringify(name)})`);

  const classes = characterClasses(password);
  if (classes.size === 1 && length < singleClassMinLength) {
    const [only] = classes;
    problems.push(`it uses only ${only ?? 'one kind of character'}: mix in other kinds (lower case, upper case, digits, symbols) or make it at least ${singleClassMinLength} characters long`);
  }
  if (length > 0 && new Set(password).size === 1) problems.push('it must not be one character repeated');

  const word = core(lower);
  if (commonPasswords.has(lower) || commonPasswords.has(lower.replace(/\s+/gu, ''))) {
    problems.push('it is one of the most common passwords, which are guessed first');
  } else if (word !== '' && commonPasswords.has(word)) {
    problems.push(`it is a common password (${JSON.stringify(word)}) with digits or symbols added, which guessers try early`);
  }
  return problems;
}
