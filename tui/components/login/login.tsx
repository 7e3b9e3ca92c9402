/** The create and unlock screens: the name in clear, the passphrase never echoed. */
import { Box, Text } from 'ink';
import { theme } from '../../theme.js';
import type { LoginState } from './use-login-state.js';

export function LoginView({ state, home }: { readonly state: LoginState; readonly home: string }) {
  const prompt = state.step === 'name' ? 'Your name (others see it): ' : state.step === 'passphrase' ? 'Passphrase (not shown): ' : 'The passphrase again (not shown): ';
  return (
    <Box flexDirection="column" paddingLeft={1} paddingTop={1}>
      <Text bold color={theme.accent}>snug</Text>
      <Text>{state.mode === 'create' ? 'No profile in this home yet: make one.' : 'Unlock your profile.'}</Text>
      <Text color={theme.dim}>home: {home}</Text>
      {state.mode === 'create' && state.step !== 'name' ? <Text>Name: {state.name}</Text> : null}
      <Text>
        {prompt}
        {state.step === 'name' ? state.name : ''}
        <Text inverse> </Text>
      </Text>
      {state.busy ? <Text color={theme.dim}>{state.mode === 'create' ? 'making your profile…' : 'unlocking…'}</Text> : null}
      {state.error ? <Text color={theme.error}>{state.error}</Text> : null}
      <Text color={theme.dim}>Enter to go on · Ctrl+C to quit</Text>
    </Box>
  );
}
