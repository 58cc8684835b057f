'use strict';
(function () {
  var api = null;
  var signinForm = document.getElementById('signin-form');
  var settingsForm = document.getElementById('settings-form');
  var signinMessage = document.getElementById('signin-message');
  var saveMessage = document.getElementById('save-message');
  var validateMessage = document.getElementById('validate-message');
  var saveButton = document.getElementById('save-button');
  var inputs = settingsForm.querySelectorAll('input');

  function showSettings(values) {
    inputs.forEach(function (input) {
      var saved = values[input.name] || '';
      input.value = '';
      input.placeholder = saved ? saved : 'Not set';
      document.getElementById(input.name + '-saved').textContent = saved ? 'Saved: ' + saved : 'Not set yet';
    });
  }

  function refresh() {
    return Promise.all([api.get('/api/Configuration'), api.get('/setup/Validate')]).then(function (results) {
      var config = results[0];
      var validate = results[1];
      if (!config.ok) throw config;
      showSettings(config.data);
      validateMessage.textContent = validate.ok && validate.data
        ? (validate.data.Status ? 'All six settings are present.' : validate.data.Message)
        : '';
    });
  }

  signinForm.addEventListener('submit', function (event) {
    event.preventDefault();
    signinMessage.textContent = '';
    var tenantId = document.getElementById('tenant-id').value.trim();
    var secret = document.getElementById('api-secret-key').value;
    if (!tenantId || !secret) {
      signinMessage.textContent = 'Enter both the Tenant Id and the APISecretKey.';
      return;
    }
    api = window.ConnectorApi(tenantId, secret);
    refresh().then(function () {
      document.getElementById('signin-section').hidden = true;
      document.getElementById('settings-section').hidden = false;
      document.getElementById('api-secret-key').value = '';
      inputs[0].focus();
    }, function (res) {
      api = null;
      signinMessage.textContent = window.ConnectorApi.explain(res);
    });
  });

  settingsForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var body = {};
    inputs.forEach(function (input) { body[input.name] = input.value.trim(); });
    saveButton.disabled = true;
    saveMessage.className = '';
    saveMessage.textContent = 'Saving Configuration ...';
    api.post('/api/Configuration', body).then(function (res) {
      saveButton.disabled = false;
      if (!res.ok) {
        saveMessage.className = 'error';
        saveMessage.textContent = window.ConnectorApi.explain(res);
        return;
      }
      return refresh().then(function () {
        saveMessage.className = 'success';
        saveMessage.textContent = 'Configuration Saved Successfully.';
      }, function (res) {
        // Saved, but re-reading failed: say so rather than leave "Saving Configuration ..." forever.
        saveMessage.className = 'error';
        saveMessage.textContent = 'Configuration saved, but reading it back failed: ' + window.ConnectorApi.explain(res || {}) + ' Reload the page to see the saved values.';
      });
    });
  });
})();
