import { render } from "solid-js/web";
import { App } from "./components/App";
import "./styles.css";

render(() => <App />, document.getElementById("root")!);
