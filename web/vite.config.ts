import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// The console is built into dist/, which the worker serves from the same origin as the API.
export default defineConfig({
  root: __dirname,
  plugins: [solid()],
  build: { outDir: "../dist", emptyOutDir: true, target: "es2022" },
});
