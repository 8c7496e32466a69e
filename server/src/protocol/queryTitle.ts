/** How queries are named to the user, shared with the editor so its CodeLens and panels match the server's results. */
export { queryTitle } from '../languageService/parser/queryTitle';
