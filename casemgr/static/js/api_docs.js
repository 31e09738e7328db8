// The read-only API reference: Swagger UI over the served OpenAPI document, nothing sent.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    supportedSubmitMethods: [],
    tryItOutEnabled: false,
    validatorUrl: null,
    deepLinking: false,
  });
});
